"""The approval file (审批材料): a Decision rendered as HTML and PDF with a packaged CJK font."""
