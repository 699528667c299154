"""Antenna's benchmarks (issue #5), a package of their own beside the product: the placement
simulator on real traces (`traces`, `simulator`, `policies`, `metrics`,
`placement_benchmark`, `plots`), the scale seeding and the reads it times (`seeding`,
`kpi_queries`, `page_timer`), and the helpers of the load and gateway runners (`harness`,
`gateway`). Driven by the `antenna-bench` command (`cli`) and the scripts in bench/."""
