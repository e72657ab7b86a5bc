"""Metadata families, one module each, apart from the containers that carry them: EXIF (with
GPS), XMP, IPTC and Photoshop resources, ICC profiles, comments and trailers; `tags` is the table
that says what each key means and whether a Keep choice lets it survive."""
