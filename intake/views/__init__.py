"""Public intake views: the wizard, magic links, the patient's case page."""
