"""Small standard-library helpers shared by the light and the heavy side."""
