"""render.yaml: parse to find nodes, splice to edit, verify; startCommand, Key Value."""
