"""For you: a ranking of the daily lists for each member, from the signals they give (upvotes,
collections, more like this / not interested, topics, saved searches, digest topics, imported
references), with a reason for each paper; and its offline evaluation."""
