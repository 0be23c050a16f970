"""What is shown to people, independent of HTTP: resource descriptions, pictures and their
charts, how figures are displayed, and the OpenAPI document of the stored questions."""
