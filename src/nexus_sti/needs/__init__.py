"""Needs: each country's STI capacity and need, and the country targets derived from them."""
