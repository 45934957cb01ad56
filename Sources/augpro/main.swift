print("augpro")
