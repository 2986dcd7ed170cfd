"""Review's use cases, one module per job: the reviewer pool, profiles and declared conflicts
(``pool``), reviewer assignment runs and swaps (``assignments``), a call's review form
(``forms``), and reviews, reminders, panel notes, calibration and the ranked list
(``reviews``). The pure rules they apply live beside this package (``conflicts``,
``assignment_model``, ``forms``, ``scoring``, ``ranking``)."""
