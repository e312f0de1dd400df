"""好差评: ratings of finished cases and tickets, counter windows and staff, with the bad-review
rectification loop (回访 → 立即整改 / 限期整改 / 说明解释 / 恶意差评申诉) and the published
indicators. Rules: ../shared/RULES.md (好差评); docs/ratings.md."""
