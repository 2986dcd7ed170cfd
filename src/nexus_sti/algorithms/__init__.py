"""Pure solvers and metrics, one module per problem."""
