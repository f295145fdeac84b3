// The shape rules over symbolic dims: the analyzers' instantiation of the shared core.
global using R = ShapeSafe.Shapes.ShapeRules<ShapeSafe.Shapes.Dim, ShapeSafe.Shapes.SymbolicDims>;
