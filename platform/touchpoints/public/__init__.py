"""Publication on the web (issue 7): public pages, open data and downloads of approved versions."""
