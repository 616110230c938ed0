"""English dates as ISO 8601, 24-hour: the councils' times are UTC and read across borders, so
"1989-07-11 14:05", never "July 11, 1989, 2:05 p.m."; Russian keeps Django's own formats
("11 июля 1989 г. 14:05"). What is not set here (input formats) falls back to Django's."""

DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
YEAR_MONTH_FORMAT = "Y-m"
FIRST_DAY_OF_WEEK = 1  # Monday, as in ISO 8601
