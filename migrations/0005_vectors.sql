-- Issue 13: named steering vectors (`sightline vector import|from-sae`). The values are stored here
-- (d_model float32, little-endian) so a project zipped and sent keeps the exact vector its sweeps used,
-- and a vector derived from an SAE decoder row needs no file at all. sha256 is over those stored bytes;
-- source_json says where they came from (file path, tensor key and file sha256, or SAE name, sha256
-- and feature). d_model is checked against the model each time the vector is used.
CREATE TABLE vectors (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  d_model     INTEGER NOT NULL CHECK (d_model >= 1),
  sha256      TEXT NOT NULL,
  source_json TEXT NOT NULL,
  values_f32  BLOB NOT NULL CHECK (length(values_f32) = 4 * d_model),
  created_at  INTEGER NOT NULL
);
