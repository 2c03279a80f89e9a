"""The Open311 GeoReport v2 API (https://wiki.open311.org/GeoReport_v2/): services, requests, API keys."""
