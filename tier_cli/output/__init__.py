"""Text, JSON, GitHub annotations and Markdown, made from values at the output end."""
