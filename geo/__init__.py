"""Pure geography: coordinate systems, the point → grid unit index, GeoJSON import, EXIF GPS, geocoding.

Nothing here touches the database or a chat channel; positions are WGS-84 ``(lat, lon)`` throughout.
"""
