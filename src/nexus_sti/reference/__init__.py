"""Public reference figures (World Bank WDI, OpenAlex) shipped with the platform as a snapshot.

Pure: nothing here imports the database, the web layer, settings or the clock.
"""
