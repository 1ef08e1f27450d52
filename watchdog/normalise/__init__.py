"""Turning the many ways sources write names, numbers, money and dates into one form."""
