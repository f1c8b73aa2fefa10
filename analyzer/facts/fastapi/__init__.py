"""The FastAPI/Starlette application: what each module declares, and what the app serves.

Two stages, because a module is read where it was parsed and the app is judged over all of them:

- `module.module_facts(PyModule)` reads one tree into `records.ModuleFacts` (names left
  unresolved; `signatures`, `bodies` and `capabilities` read the parts of a module);
- `app.AppModel.build(facts)` joins every module's facts into the routes the app serves,
  resolving names across modules through `resolve.Resolver`.
"""
