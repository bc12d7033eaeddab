"""Reference data, its regeneration scripts and the sample-data generator."""
