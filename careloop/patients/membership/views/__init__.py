"""Views of the card, family and consent tabs."""
