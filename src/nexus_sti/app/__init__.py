"""The composition root: the only package that knows every context. It builds the web app (its
routers and the page layout's navigation), the ``nexus`` command (its command groups), the ASGI
entry and the dashboard that gathers every context's figures."""
