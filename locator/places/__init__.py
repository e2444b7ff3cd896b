"""Where things are: points and distances, the spatial index, the offline gazetteer, geocoding,
states.
"""
