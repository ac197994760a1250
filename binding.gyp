{
  "targets": [
    {
      "target_name": "busy_accept",
      "sources": ["native/busy_accept.c"]
    }
  ]
}
