"""The decision, pure: advisor, guardrails, placement, costs, Render reality, trend."""
