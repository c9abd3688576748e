"""The tool catalogue: each tool described once (arguments, permission, output, use case,
text summary), with the words for its arguments and the text summaries of its answers.
"""
