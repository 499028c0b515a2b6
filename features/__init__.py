"""Raw records to household features: schemas, the county simulator, list matching and feature builders."""
