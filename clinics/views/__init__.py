"""Public directory and profiles (clinics.urls) and the clinic portal (clinics.portal_urls)."""
