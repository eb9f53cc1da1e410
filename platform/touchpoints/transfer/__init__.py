"""Import and export of touchpoint lists (issue 3, «Import and export»; docs/office-files.md).

Agencies arrive with their lists in Word and Excel: :mod:`.imports` reads a table, guesses which
of its columns are which fields of the agency's form, shows every row with its errors and writes
nothing until the registrar confirms. :mod:`.export` writes the working list or an approved
version back out as XLSX, CSV and DOCX in the agency's own form.
"""
