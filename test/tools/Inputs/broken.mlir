func.func @f(%x: tensor<?x64xf32>) -> tensor<?x24xf32> {
  %y = qnt.linear %x, %x : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x24xf32>
