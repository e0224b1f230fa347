"""Operations around the warehouse: where it lives (destinations), what it costs (costs), one run at a time."""
