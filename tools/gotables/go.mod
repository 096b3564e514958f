module gotables

go 1.19
