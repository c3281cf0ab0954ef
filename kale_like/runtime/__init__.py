"""What runs inside every step process: the cells' shell, output capture, loading and saving
values (through :mod:`kale_like.marshal`), the step's report. Imports only the standard library,
IPython (the shell cells run in), the marshal and the shared errors at module level."""
