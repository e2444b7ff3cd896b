"""Facility and meeting lists for coordinators: CSV, XLSX, PDF writers, rows, HSDS, referral
lists.
"""
