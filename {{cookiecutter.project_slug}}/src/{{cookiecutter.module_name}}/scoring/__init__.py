"""One path from raw rows to the model's answer, whoever asks: preprocess (both engines) builds the
splits with it, evaluate and sanity-check read the splits back through it, and serving (make
predict, make serve) sends new rows through all of it with what a bundle saved. A row is turned
into the model's input by one piece of code, wherever it comes from, so training and serving
cannot drift apart.

  rows.py     the row transform: the columns preprocess chose (auto), dates as numeric parts, numbers,
              categories, lookup joins, your features, category codes, counts, names the model takes
  bundle.py   the serving bundle (models/bundle/): what scoring new rows needs, written by the bundle stage
  score.py    a bundle's scorer: raw rows in, predictions out (what make predict and the server call)
"""
