"""The Online Assessment in a browser: the terminal questionnaire's questions as web pages."""
