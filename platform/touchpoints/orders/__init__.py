"""Orders as PDF: the order approving a version, with the list as its appendix (issue 4)."""
