"""The Trends tab of the patient page (历年指标趋势分析).

`detection` (change over one series, with `statistics` for the slope test) and `series`, `display`,
`picker`, `chart`, `yoy_table` (the tab's data shapes) are pure: no Django. `tab` reads the patient's
results and builds the tab's context; the chart endpoint is `careloop.observations.views.trends`.
"""
