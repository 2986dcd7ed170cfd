"""Selection: the funded portfolio of a call, optimised, explained, decided and reproducible."""
