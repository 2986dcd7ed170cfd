"""The platform's areas (navigation) and what each role can reach."""
