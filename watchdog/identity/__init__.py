"""Who is who: which supplier a name or number means (the resolver), similar names, groups, and the
decisions of the review.
"""
