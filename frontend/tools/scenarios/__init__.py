"""The browser test's scenarios, one function each, named for what it proves; its
docstring is the line the runner prints. They run in the order `browser_test.py` lists
them, as one story: each starts from the screen the one before left (a post with its
comments, a service killed or back), and what a later one needs is kept in the `World`.
"""
