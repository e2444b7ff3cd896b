"""Treatment facilities: nearest-first search, the SAMHSA service taxonomy, coverage, the care
guide.
"""
