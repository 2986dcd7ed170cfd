"""Background jobs as people see them: a job's progress page, its status for the page's script,
and the ``nexus jobs`` commands (the queue itself is infrastructure: platform/jobqueue.py)."""
