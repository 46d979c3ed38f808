"""The Streamlit dashboard's pages; ``app.py`` at the project root runs them.

Importing :mod:`framing` does not import this package (nor Streamlit).
"""
