// RUN: split-file %s %t
// RUN: quant-opt %t/model.mlir --qnt-apply-calibration="plan=%t/plan.json" | FileCheck %s
// Then quantized as those attributes ask (static scales, zero points):
// RUN: quant-opt %t/model.mlir --qnt-apply-calibration="plan=%t/plan.json" --qnt-quantize | FileCheck %s --check-prefix=QUANT
// RUN: quant-opt %t/model.mlir --qnt-quantize="calibration-plan=%t/plan.json" | FileCheck %s --check-prefix=QUANT
// RUN: not quant-opt %t/model.mlir --qnt-quantize="calibration-plan=%t/unknown-linear.json" 2>&1 | FileCheck %s --check-prefix=NAME
// Plans that cannot be applied:
// RUN: not quant-opt %t/model.mlir --qnt-apply-calibration="plan=%t/missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not quant-opt %t/model.mlir --qnt-apply-calibration="plan=%t/unknown-linear.json" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not quant-opt %t/model.mlir --qnt-apply-calibration="plan=%t/not-json.json" 2>&1 | FileCheck %s --check-prefix=JSON
// RUN: not quant-opt %t/model.mlir --qnt-apply-calibration="plan=%t/bad-scales.json" 2>&1 | FileCheck %s --check-prefix=SCALES
// RUN: not quant-opt %t/model.mlir --qnt-apply-calibration="plan=%t/bad-field.json" 2>&1 | FileCheck %s --check-prefix=FIELD
// RUN: not quant-opt %t/model.mlir --qnt-apply-calibration="plan=%t/negative.json" 2>&1 | FileCheck %s --check-prefix=NEGATIVE

// The plan's two static scales (one per block of 32 of K = 64) land on
// blk.0.attn_q as a tensor<1x2xf32>; blk.0.ffn_down gets act_asymmetric; the
// linear the plan does not name is left as it was.
// CHECK-LABEL: func.func @f
// CHECK:         qnt.linear %{{.+}}, %{{.+}} {act_scales = dense<{{\[\[}}5.000000e-02, 2.500000e-02]]> : tensor<1x2xf32>}
// CHECK:         qnt.linear %{{.+}}, %{{.+}} {act_asymmetric}
// CHECK:         qnt.linear %{{.+}}, %{{.+}} :
// QUANT-DAG:   #[[$ASYM:.+]] = #qnt.scheme<granularity = per_block, symmetric = false, scale = f32>
// QUANT-LABEL: func.func @f
// QUANT:         qnt.quantize %{{.+}} {static_scales = dense<{{\[\[}}5.000000e-02, 2.500000e-02]]> : tensor<1x2xf32>}
// QUANT:         qnt.quantize %{{.+}} -> !qnt.tensor<?x64xf32, #[[$ASYM]], #qnt.layout<pad = 32>>
// MISSING: error: cannot read the calibration plan {{.+}}missing.json
// NAME: error: the calibration plan names 'blk.9.attn_q', which no qnt.linear is named
// JSON: error: calibration plan {{.+}}not-json.json: {{.+}}
// SCALES: error: calibration plan {{.+}}: 'blk.0.attn_q' act_scales must be a non-empty array of numbers
// FIELD: error: calibration plan {{.+}}: 'blk.0.attn_q' has an unknown field 'scales' (act_scales, asymmetric)
// NEGATIVE: error: loc("blk.0.attn_q"): 'qnt.linear' op act_scales must be positive and finite

//--- model.mlir
func.func @f(%x: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %w = arith.constant dense<0.5> : tensor<32x64xf32>
  %a = qnt.linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32> loc("blk.0.attn_q")
  %b = qnt.linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32> loc("blk.0.ffn_down")
  %c = qnt.linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32> loc("output")
  return %a, %b, %c : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}
//--- plan.json
{"linears": {"blk.0.attn_q": {"act_scales": [0.05, 0.025]},
             "blk.0.ffn_down": {"asymmetric": true}}}
//--- unknown-linear.json
{"linears": {"blk.9.attn_q": {"asymmetric": true}}}
//--- not-json.json
{"linears": {"blk.0.attn_q": }
//--- bad-scales.json
{"linears": {"blk.0.attn_q": {"act_scales": []}}}
//--- bad-field.json
{"linears": {"blk.0.attn_q": {"scales": [1.0]}}}
//--- negative.json
{"linears": {"blk.0.attn_q": {"act_scales": [-1.0, 1.0]}}}
