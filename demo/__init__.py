"""Demo apps that plant every kind of static-file finding the inspector reports."""
