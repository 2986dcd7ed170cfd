"""The imperative shell: settings, storage, auth, audit, web app, CLI root."""
