// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @arg_count(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{body has 0 arguments but the kernel has 1 inputs}}
  %r = kiln.kernel "k" (%x) : (tensor<2xf32>) -> tensor<2xf32> {
  ^bb0:
    %c = "tosa.const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
    kiln.yield %c : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

func.func @arg_type(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{body argument #0 has type 'tensor<3xf32>' but input #0 has type 'tensor<2xf32>'}}
  %r = kiln.kernel "k" (%x) : (tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<3xf32>):
    %c = "tosa.const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
    kiln.yield %c : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

func.func @yield_count(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{yields 2 values but has 1 results}}
  %r = kiln.kernel "k" (%x) : (tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>):
    kiln.yield %a, %a : tensor<2xf32>, tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

func.func @yield_type(%x: tensor<2xf32>) -> tensor<2xi32> {
  // expected-error @+1 {{yielded value #0 has type 'tensor<2xf32>' but result #0 has type 'tensor<2xi32>'}}
  %r = kiln.kernel "k" (%x) : (tensor<2xf32>) -> tensor<2xi32> {
  ^bb0(%a: tensor<2xf32>):
    kiln.yield %a : tensor<2xf32>
  }
  return %r : tensor<2xi32>
}

// -----

func.func @empty_name(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{needs a non-empty kernel name}}
  %r = kiln.kernel "" (%x) : (tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>):
    kiln.yield %a : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

func.func @isolated(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %r = kiln.kernel "k" () : () -> tensor<2xf32> {
    // expected-error @+1 {{using value defined outside the region}}
    kiln.yield %x : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

func.func @yield_outside(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{expects parent op 'kiln.kernel'}}
  kiln.yield %x : tensor<2xf32>
}
