"""The analysis layer the rules share: scopes and data flow, dtypes, symbolic Keras tensors,
Keras classes and objects, receivers. Rules depend on analysis; analysis never on rules."""
